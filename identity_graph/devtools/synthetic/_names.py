"""Built-in name lists, mixed-origin on purpose (accents, apostrophes, hyphens, multi-word
surnames) so that matching and normalization meet the inputs real customer data contains.

Lists are in tiers: the first ones are drawn far more often than the tail, which gives the
skewed block sizes that blocking on surname sees in practice.
"""

from __future__ import annotations

from identity_graph.devtools.synthetic._data import words

FEMALE_COMMON = words("""
Mary Patricia Jennifer Linda Elizabeth Barbara Susan Jessica Sarah Karen Lisa Nancy Emily
Margaret Sandra Ashley Kimberly Michelle Amanda Melissa Stephanie Rebecca Laura Maria Anna
Emma Olivia Sophia Nicole Katherine
""")
FEMALE_RARE = words("""
Betty Donna Carol Dorothy Deborah Sharon Cynthia Kathleen Amy Angela Shirley Brenda Pamela
Helen Samantha Christine Debra Rachel Carolyn Janet Catherine Heather Diane Ruth Julie Joyce
Virginia Victoria Kelly Lauren Christina Joan Evelyn Judith Megan Andrea Cheryl Hannah
Jacqueline Martha Gloria Teresa Ann Sara Madison Frances Kathryn Janice Jean Abigail Alice
Judy Grace Denise Amber Doris Marilyn Danielle Beverly Isabella Theresa Diana Natalie
Brittany Charlotte Marie Kayla Alexis Lori Guadalupe Sofia Valentina Camila Lucia Ximena
Fernanda Daniela Gabriela Alejandra Carmen Rosa Yolanda Mei Xiu Ying Na Hui Min-ji Ji-woo
Seo-yeon Yuna Hana Yuki Aiko Sakura Priya Ananya Aisha Fatima Zainab Amina Leila Yasmin Noor
Layla Mariam Ngozi Chidinma Adaeze Folake Amara Lan Linh Mai Huong Anh Olga Svetlana Natasha
Irina Katarzyna Agnieszka Magdalena Giulia Francesca Chiara Sofía Zoë Siobhán Aoife Niamh
Saoirse Ingrid Astrid Freya Chloé Renée Mónica Inés Peggy Lourdes Marisol Esperanza Thandiwe
Nomvula Kiri Aroha Leilani Malia Tatiana Anastasia Beatriz Joana Mariana
""")
MALE_COMMON = words("""
James Robert John Michael David William Richard Joseph Thomas Christopher Charles Daniel
Matthew Anthony Mark Steven Andrew Paul Joshua Kevin Brian Jose Juan Carlos Luis Wei
Mohammed
""")
MALE_RARE = words("""
Donald Kenneth George Timothy Ronald Jason Edward Jeffrey Ryan Jacob Gary Nicholas Eric
Jonathan Stephen Larry Justin Scott Brandon Benjamin Samuel Gregory Alexander Patrick Frank
Raymond Jack Dennis Jerry Tyler Aaron Adam Nathan Henry Zachary Douglas Peter Kyle Noah
Ethan Jeremy Walter Christian Keith Roger Terry Austin Sean Gerald Carl Harold Dylan Arthur
Lawrence Jordan Jesse Bryan Bruce Gabriel Logan Alan Albert Elijah Wayne Randy Vincent Mason
Roy Ralph Russell Bradley Philip Eugene Miguel Alejandro Jorge Pedro Diego Javier Santiago
Mateo Francisco Jesús Andrés Jun Hao Ming Jian Lei Min-jun Seo-jun Ji-ho Hiroshi Takeshi
Kenji Haruto Ren Arjun Rohan Vikram Rahul Aditya Sanjay Ahmed Omar Ali Hassan Yusuf Ibrahim
Karim Chinedu Emeka Oluwaseun Kwame Kofi Tunde Minh Duc Tuan Quang Huy Dmitri Sergei Ivan
Alexei Mikhail Piotr Tomasz Krzysztof Marco Luca Giuseppe Matteo Giovanni Lorenzo Liam
Connor Declan Seamus Cian Lars Erik Björn Anders François Jérôme René Sébastien Stefan Klaus
Jürgen Hans Nikos Dimitrios Kostas Tane Kai Keanu Sipho Thabo João Rafael Gonzalo
""")
SURNAMES_COMMON = words("""
Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez
Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris
Sanchez Clark Ramirez Nguyen Kim Patel Chen
""")
SURNAMES_MID = words("""
Lewis Robinson Walker Young Allen King Wright Scott Torres Hill Flores Green Adams Nelson
Baker Hall Rivera Campbell Mitchell Carter Roberts Gomez Phillips Evans Turner Diaz Parker
Cruz Edwards Collins Reyes Stewart Morris Morales Murphy Cook Rogers Gutierrez Ortiz Morgan
Cooper Peterson Bailey Reed Kelly Howard Ramos Cox Ward Richardson Watson Brooks Chavez Wood
James Bennett Gray Mendoza Ruiz Hughes Price Alvarez Castillo Sanders Myers Long Ross Foster
Jimenez Singh Kumar Wang Li Zhang Liu Tran Le Pham Khan Park Choi Wong Santos Silva Shah
Cohen Murray Ford Sullivan
""")
SURNAMES_RARE = words("""
Powell Jenkins Perry Russell Fisher Henderson Coleman Simmons Patterson Jordan Reynolds
Hamilton Graham Wallace West Cole Hayes Bryant Gibson Ellis Stevens Marshall Owens McDonald
Harrison Kennedy Wells Henry Butler Barnes Fox Hunt Palmer Black Robertson Stone Hawkins Dunn
Perkins Hudson Spencer Gardner Payne Pierce Berry Matthews Arnold Wagner Willis Ray Watkins
Olson Carroll Duncan Snyder Hart Cunningham Bradley Lane Andrews Harper Fletcher Burke
Gallagher Doyle Byrne Quinn Brennan Kavanagh Fitzgerald Donnelly O'Brien O'Connor O'Neill
O'Sullivan McCarthy MacLeod MacDonald McKenzie Whitfield Ashworth Pemberton Thornbury
Blackwood Featherstone Hargreaves Winterbottom Kowalski Nowak Wiśniewski Wójcik Kowalczyk
Lewandowski Zieliński Müller Schmidt Schneider Fischer Weber Becker Hoffmann Schäfer Koch
Richter Rossi Russo Ferrari Esposito Bianchi Romano Colombo Ricci Marino Greco Bruno Gallo
Conti De_Luca Dubois Lefèvre Moreau Laurent Girard Bonnet Dupont Fontaine Ivanov Petrov
Smirnov Volkov Popov Kuznetsov Sokolov Lebedev Novikov Tanaka Suzuki Takahashi Watanabe
Yamamoto Nakamura Kobayashi Sato Ito Kato Yoshida Jung Kang Cho Yoon Jang Lim Han Shin Seo
Hoang Huynh Phan Vu Vo Dang Bui Do Ho Ngo Duong Ly Sharma Gupta Mehta Reddy Rao Iyer Nair
Das Banerjee Chatterjee Mukherjee Desai Joshi Kapoor Malhotra Ahmed Ali Hussain Rahman Hassan
Abdullah Haddad Khoury Nasser Mansour Saleh Aziz Okafor Okonkwo Adeyemi Mensah Boateng Owusu
Nwosu Eze Diallo Traore Kamara Mwangi Otieno Abebe Levy Friedman Katz Goldberg Shapiro Rosen
Weiss Papadopoulos Georgiou Nikolaidis Andersson Johansson Karlsson Nilsson Larsson Hansen
Jensen Nielsen Pedersen Virtanen Korhonen Oliveira Souza Ferreira Pereira Costa Almeida
Carvalho Gomes Ribeiro Fernandes Alves Dela_Cruz Bautista Villanueva Aquino Navarro Romero
Herrera Medina Aguilar Vasquez Moreno Guerrero Delgado Peña Núñez Muñoz Ibáñez Fuentes
Cabrera Rojas Campos Vega Sandoval Cortez Salazar Espinoza Valdez Yang Huang Zhao Wu Zhou Xu
Sun Ma Zhu Hu Guo He Lin Luo Zheng Liang Xie Song Tang Feng Deng Cao Chan Leung Cheung Lau
Ng Yip Tsang Van_der_Berg De_Jong Jansen Visser Bakker Janssens Peeters Horvath Nagy Kovacs
Novak Dvorak Petrovic Jovanovic Popescu Ionescu Yilmaz Kaya Demir Celik Sahin Ozturk Cohen-Levi
Te_Rangi Kealoha Makoa Nakoa Begay Yazzie Tsosie Benally
""")

# Formal name -> nicknames people give instead; also used in reverse by typo injection.
NICKNAMES: dict[str, tuple[str, ...]] = {
    "Robert": ("Bob", "Rob", "Bobby"),
    "William": ("Bill", "Will", "Billy"),
    "Richard": ("Rick", "Dick", "Rich"),
    "James": ("Jim", "Jimmy", "Jamie"),
    "John": ("Jack", "Johnny"),
    "Michael": ("Mike", "Mikey"),
    "David": ("Dave", "Davey"),
    "Joseph": ("Joe", "Joey"),
    "Thomas": ("Tom", "Tommy"),
    "Christopher": ("Chris", "Topher"),
    "Charles": ("Charlie", "Chuck"),
    "Daniel": ("Dan", "Danny"),
    "Matthew": ("Matt",),
    "Anthony": ("Tony",),
    "Steven": ("Steve",),
    "Andrew": ("Andy", "Drew"),
    "Joshua": ("Josh",),
    "Kenneth": ("Ken", "Kenny"),
    "Timothy": ("Tim",),
    "Ronald": ("Ron", "Ronnie"),
    "Edward": ("Ed", "Eddie", "Ted"),
    "Jeffrey": ("Jeff",),
    "Nicholas": ("Nick",),
    "Jonathan": ("Jon",),
    "Benjamin": ("Ben",),
    "Samuel": ("Sam",),
    "Gregory": ("Greg",),
    "Alexander": ("Alex", "Sasha"),
    "Patrick": ("Pat",),
    "Lawrence": ("Larry",),
    "Douglas": ("Doug",),
    "Zachary": ("Zach",),
    "Peter": ("Pete",),
    "Raymond": ("Ray",),
    "Gerald": ("Jerry",),
    "Francisco": ("Paco", "Pancho"),
    "Jose": ("Pepe",),
    "Alejandro": ("Alex",),
    "Giuseppe": ("Beppe",),
    "Dmitri": ("Dima",),
    "Mikhail": ("Misha",),
    "Mary": ("Molly", "Mae"),
    "Patricia": ("Pat", "Patty", "Trish"),
    "Jennifer": ("Jen", "Jenny"),
    "Elizabeth": ("Liz", "Beth", "Betsy", "Eliza"),
    "Margaret": ("Peggy", "Maggie", "Meg"),
    "Susan": ("Sue", "Susie"),
    "Jessica": ("Jess",),
    "Katherine": ("Kate", "Katie", "Kathy"),
    "Kathleen": ("Kathy",),
    "Catherine": ("Cathy", "Kate"),
    "Rebecca": ("Becky", "Becca"),
    "Deborah": ("Debbie", "Deb"),
    "Victoria": ("Vicky", "Tori"),
    "Samantha": ("Sam",),
    "Christine": ("Chris", "Chrissy"),
    "Abigail": ("Abby",),
    "Kimberly": ("Kim",),
    "Stephanie": ("Steph",),
    "Alexandra": ("Alex",),
    "Anastasia": ("Stacy",),
    "Natalie": ("Nat",),
    "Theresa": ("Tess",),
    "Valentina": ("Vale",),
}
